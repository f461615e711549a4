module wslgo.test/sstrial

go 1.21
