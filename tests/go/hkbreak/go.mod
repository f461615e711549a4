module wslgo.test/hkbreak

go 1.21
