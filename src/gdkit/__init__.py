"""gdkit: an auto-graded exercise kit for gradient descent on the tutorial's network."""
__version__ = "0.1.0"
