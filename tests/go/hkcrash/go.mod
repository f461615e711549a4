module wslgo.test/hkcrash

go 1.21
