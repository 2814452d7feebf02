module example.com/mountlab

go 1.19
