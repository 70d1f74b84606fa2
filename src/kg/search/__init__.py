"""Search step: a full-text index of the build, for people who do not write SPARQL.

Built with every build (`write_index`, called by the store step before it swaps the store link,
so that the index and the store it was made from are served together) into the build folder's
`search/`; opened read-only by the service (`SearchIndex`) for /search, /search/suggest and the
`search` canned query. Modules: `analysis` (folding, tokens, pinyin, marking), `documents`
(entities read from the store), `index` (schema, writing, opening), `scratch` (the on-disk table
writing spills to), `searcher` (queries).
"""

from kg.search.index import FOLDER, IndexReport, write_index
from kg.search.searcher import Hit, Results, SearchIndex

__all__ = ["FOLDER", "Hit", "IndexReport", "Results", "SearchIndex", "write_index"]
