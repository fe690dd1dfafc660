"""The numpy reference implementation, one module per section of the notes.

Each component has a ``*_forward`` written with ``autograd.numpy`` so that autograd can
differentiate it (a third opinion in gradient checks), and a public function with the
contract's signature whose backward pass is written by hand.
"""
