"""Short runnable examples."""
