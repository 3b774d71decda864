// Nothing: the read's bookmark, the last transaction committed, is the answer.
RETURN 1
