"""`decompose bench`: speed and memory, each against a baseline measured in the same run."""
