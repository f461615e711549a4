module wslgo.test/named

go 1.21
