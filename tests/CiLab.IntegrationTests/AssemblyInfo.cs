// Guests share two cores: one test at a time keeps boot times honest and timeouts meaningful.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
[assembly: AssemblyFixture(typeof(CiLab.IntegrationTests.GuestLab))]
