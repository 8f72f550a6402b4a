"""OneWindow's case engine: a plain library (no Flask) with a service layer of use cases.

Only ``engine.runtime`` drives SpiffWorkflow; everything else speaks of cases, tasks and
definitions.
"""
