module wslgo.test/values

go 1.21
