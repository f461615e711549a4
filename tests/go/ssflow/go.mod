module wslgo.test/ssflow

go 1.21
