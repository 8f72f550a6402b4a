"""The use cases: one function each, one transaction each (the caller's ``UnitOfWork``)."""
