print("benchmark: see README")
