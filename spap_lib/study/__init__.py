"""The replication study: a powered, small-scale test of the paper's claims (Tables 1 and 3), run once on two
CPU cores, archived under ``results/study/`` with its provenance, and rendered by the book's headline chapter.

``plan`` (which runs, at which scale), ``runner`` (train in pieces, score, archive; ``study run``),
``archive`` (read, check completeness, ``study verify``), ``stats`` (confidence intervals, paired
differences, the verdict, the power calculation).
"""
