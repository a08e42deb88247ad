"""The dataset builder: from the vault to a clean, reviewable dataset of your own voice."""
