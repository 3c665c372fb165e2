"""Specialising a small model for one node by distillation (issue 25): the training data from a teacher's
stored runs (`data`), the student from its own GGUF (`student`), LoRA training (`train`), the llama.cpp adapter
(`gguf_adapter`) and the whole request with its training card (`specialise`). Needs the [tune] extra (`extra`)."""
