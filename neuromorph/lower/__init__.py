"""Specs lowered to the flat arrays the kernels read, with a slot for every parameter path."""
