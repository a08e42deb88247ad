"""The hub: twin in the browser, and the home server paired devices report to."""
