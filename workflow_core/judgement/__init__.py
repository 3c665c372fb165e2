"""People's judgement in the lab: blind pairwise votes on an experiment's pages (by people, or by an LLM judge
in both orders), Bradley–Terry ratings with bootstrap intervals, the "people" quality axis they give, and the
judge's agreement with people."""
