"""The small text the shakespeare tests train on (written by the tests, never the real file), and a tiny
network's options for the command line."""

# Every character of it is in the vocabulary it builds (33 distinct characters).
TEXT = (
    "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n\n"
    "First Citizen:\nYou are all resolved rather to die than to famish?\n\n"
)
TINY = ["--n-layer", "1", "--n-head", "2", "--n-embd", "16", "--block-size", "8", "--batch-size", "4"]
