module wslgo.test/symbols

go 1.21
