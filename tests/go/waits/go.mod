module wslgo.test/waits

go 1.21
