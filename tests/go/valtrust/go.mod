module wslgo.test/valtrust

go 1.21
