"""Your own handwriting as a named style (see types.py for the contract)."""
