"""One module per job, and the pipeline that runs any of them."""
