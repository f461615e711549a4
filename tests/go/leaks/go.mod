module wslgo.test/leaks

go 1.21
