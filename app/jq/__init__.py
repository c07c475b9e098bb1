"""The JQ dialect of Port's mappings: compiling it with libjq, reading it, evaluating part of it in Python.

`dialect` compiles expressions (single-quoted literals, no environment access); `paths` reads plain
paths and the input paths an expression uses; `evaluator` evaluates a small part of jq in Python with
libjq's exact results; `fastpath` plans a mapping's translation from those two.
"""
