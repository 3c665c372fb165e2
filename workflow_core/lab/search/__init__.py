"""Which node needs the big model? A search over the model of each node of a workflow (`decompose optimise`,
Compare's search tab): the space (`space`), what each tried assignment measured (`scores`), the strategies
that choose what to try (`strategies`), the answer (`answer`) and the run that ties them to the engine and the
lab (`search`). See docs/search.md."""
