module wslgo.test/badlabels

go 1.21
