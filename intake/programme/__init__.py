"""The secretariat's programme steps beside the pipeline: fee, recognition, case study."""
