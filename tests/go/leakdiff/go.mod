module wslgo.test/leakdiff

go 1.21
