"""Specialising a small model for one node by distillation (issue 25): the training data from a teacher's
stored runs (`data`). Training, the GGUF adapter and serving it come next."""
