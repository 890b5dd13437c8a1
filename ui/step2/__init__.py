"""Step 2 (face-to-face WID check): the pluggable methods that read the document.

Each method is a :class:`ui.step2.base.WidMethodWidget`; see that module for the contract.
"""
