"""Answer strategies: each takes the Context and returns a Builder of cited statements (or None when
it has nothing of its kind); the registry says which strategies a question type tries, in order."""
