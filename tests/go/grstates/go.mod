module wslgo.test/grstates

go 1.21
