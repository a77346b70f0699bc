"""Small pure helpers more than one feature uses (no Django): numbers as people type them."""
