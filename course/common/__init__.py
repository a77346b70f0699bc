"""Small pure helpers more than one feature uses (no Django): numbers as people type them
(numbers.py), HTML to text and "did you mean" (text.py)."""
