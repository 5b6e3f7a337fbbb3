"""Analysis of neurons and of simulation results: I-V curves and firing patterns."""
