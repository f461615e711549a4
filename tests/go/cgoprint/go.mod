module wslgo.test/cgoprint

go 1.21
