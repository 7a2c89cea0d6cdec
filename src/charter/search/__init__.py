"""`charter search` and `list --where`: the query language (`syntax`), its meaning over the kinds' fields
(`fields`, `compile`, `predicates`), and the engine that opens only the files a query needs (`engine`, `fact_index`).
"""
