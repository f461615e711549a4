module wslgo.test/hello

go 1.21
