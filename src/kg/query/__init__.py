"""Query step: every SPARQL query the service, the pages, the checks, the CLI and the exports run
goes through `kg.query.executor.Executor`, with the time limit, the row cap and the refusal of
SERVICE and LOAD.

    text.py      reading a request before the store sees it (form, SERVICE/LOAD, LIMIT)
    frames.py    the frames between the executor and its query processes (standard library only)
    child.py     the query process
    executor.py  the pool of query processes, the limits, results as bytes or as rows;
                 QueryStep (what every backend offers) and prepare (the checks every backend runs)
    remote_engine.py  the same query step over a SPARQL engine (KG_BACKEND=sparql, kg.backends)
    results.py   results for a terminal (kg query)
"""
