"""Running untrusted student code: the worker process, its wire protocol, the grader-side handle."""
