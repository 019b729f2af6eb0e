"""Pure functions over cloud models: topology, effective rules, reachability."""
