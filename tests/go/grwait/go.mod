module wslgo.test/grwait

go 1.21
