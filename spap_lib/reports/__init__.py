"""The top layer: what the notebooks and the book render -- the pipeline that runs them, evaluation of
finished runs, tables beside the paper's numbers, and figures."""
