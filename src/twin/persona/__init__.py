"""Who the twin is and the prompt layout it speaks through, shared by the dataset and chat."""
