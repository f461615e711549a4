module wslgo.test/leakbench

go 1.21
