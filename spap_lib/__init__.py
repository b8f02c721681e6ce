"""spap_lib: the library behind the SPAP companion book.

Layers, each importing only the ones above it in this list:
``models`` (SPAP, ASPP, atrous discriminators, SNDCGAN, CycleGAN) → ``data`` → ``metrics``
→ ``training`` → ``reports`` (tables and figures the notebooks render).
"""

__version__ = "0.1.0"
