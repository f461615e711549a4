module wslgo.test/index

go 1.21
