"""OneWindow benchmarks: ``make bench`` (``python -m bench``).

One run measures, on SQLite and on PostgreSQL (each a fresh database with the demo loaded):
case start and task completion over HTTP against ``onewindow serve``, throughput with 1 and 4
clients, the raw SpiffWorkflow cost of the same step, and how a case's stored state and save cost
grow with rework rounds. It prints a table and writes the figures to ``bench/results/latest.json``.
"""
